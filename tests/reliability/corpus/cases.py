"""The bad-input corpus: broken stores, broken projects, bad arguments and URLs.

Each case starts from the same small, healthy store (built as plain files by
``tests/reliability/test_bad_input.py``):

- ``Good``: versions ``{G1}`` and ``{G2}`` (both with metadata; their hashes
  share the prefix ``abcdef0``), ``latest.json`` -> ``{G2}``;
- ``Other``: one version ``{O1}``, ``latest.json`` -> ``{O1}``;
- ``Lab``: a LabChain-style version ``{L1}`` (no metadata) and a *pickled*
  ``latest.json``.

``damage`` lists what is broken before the command runs (see ``apply`` in
the test), ``argv`` is the command (``{...}`` fields are filled in: the
hashes above, ``{store}``, ``{endpoint}``, ``{closed_port}``), and ``exit``
is the code DESIGN.md prescribes.  Every case must end with exactly one
"petbrowser: ..." line on stderr, no traceback, and the store byte-for-byte
as it was.  Small files live beside this table in ``pointers/`` and
``modules/`` (modules are kept as ``.py.txt`` so linters leave a deliberate
syntax error alone); the 50 MB pickle is generated at test time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    id: str
    why: str
    argv: tuple[str, ...]
    exit: int
    damage: tuple[tuple[Any, ...], ...] = ()
    #: "local" (default): the command gets ``--storage {store}``; "none": argv says it all;
    #: "aws": argv says it all, with the fake AWS credentials in the environment;
    #: "s3": moto's endpoint is passed with --endpoint-url; "s3-denied": the endpoint is a
    #: proxy answering every request the way S3 answers unknown credentials (403).
    target: str = "local"
    timeout: float = 60
    slow: bool = False
    tags: tuple[str, ...] = field(default=())


CASES: tuple[Case, ...] = (
    # ------------------------------------------------------- damaged versions
    Case("pkl_truncated_verify", "a .pkl cut in half; its metadata says the full size",
         ("verify",), 4, (("truncate", "G2"),)),
    Case("pkl_truncated_pull", "pulling a truncated .pkl must fail the digest check",
         ("pull", "Good"), 4, (("truncate", "G2"),)),
    Case("pkl_empty_verify", "a zero-byte .pkl", ("verify",), 4, (("empty", "G1"),)),
    Case("pkl_empty_pull", "pulling a zero-byte .pkl", ("pull", "Good", "--hash", "{G1}"), 4,
         (("empty", "G1"),)),
    Case("pkl_bitflip_pull", "one flipped byte in the middle of a .pkl", ("pull", "Good"), 4,
         (("flip", "G2"),)),
    Case("pkl_no_meta_truncated_inspect", "a LabChain version (no metadata) cut short: static walk fails",
         ("inspect", "Lab"), 4, (("truncate", "L1"),)),
    Case("pkl_no_meta_empty_inspect", "a LabChain version that is empty",
         ("inspect", "Lab"), 4, (("empty", "L1"),)),
    Case("meta_garbage_verify", "a .meta.json that is not JSON", ("verify",), 4,
         (("meta_bytes", "G1", b"{not json"),)),
    Case("meta_wrong_digest_pull", "metadata whose pkl_sha256 does not match the bytes",
         ("pull", "Good"), 4, (("meta_field", "G2", "pkl_sha256", "0" * 64),)),
    Case("big_pkl_digest_pull", "a 50 MB .pkl whose digest does not match its metadata",
         ("pull", "Good"), 4, (("big_pkl", "G2"),)),
    Case("big_pkl_truncated_inspect", "a 50 MB LabChain pickle cut short, inspected statically",
         ("inspect", "Lab"), 4, (("big_pkl_nometa", "L1"),)),
    # ------------------------------------------------------- damaged pointers
    Case("ptr_garbage_verify", "latest.json is random bytes", ("verify",), 4,
         (("pointer", "Good", "garbage.bin"),)),
    Case("ptr_garbage_inspect", "inspect of latest through a garbage pointer", ("inspect", "Good"), 4,
         (("pointer", "Good", "garbage.bin"),)),
    Case("ptr_list_verify", "latest.json is a JSON list", ("verify",), 4,
         (("pointer", "Good", "list.json"),)),
    Case("ptr_number_pull", "latest.json is a JSON number", ("pull", "Good"), 4,
         (("pointer", "Good", "number.json"),)),
    Case("ptr_string_inspect", "latest.json is a JSON string", ("inspect", "Good"), 4,
         (("pointer", "Good", "string.json"),)),
    Case("ptr_null_verify", "latest.json is JSON null", ("verify",), 4,
         (("pointer", "Good", "null.json"),)),
    Case("ptr_nohash_inspect", "latest.json is a dict without 'hash'", ("inspect", "Good"), 4,
         (("pointer", "Good", "dict_without_hash.json"),)),
    Case("ptr_hash_null_verify", "latest.json with hash null", ("verify",), 4,
         (("pointer", "Good", "hash_null.json"),)),
    Case("ptr_empty_verify", "latest.json is an empty file", ("verify",), 4,
         (("pointer", "Good", "empty.json"),)),
    Case("ptr_truncated_verify", "latest.json cut mid-string", ("verify",), 4,
         (("pointer", "Good", "truncated.json"),)),
    Case("ptr_nonhex_verify", "latest.json names a non-hex hash", ("verify",), 4,
         (("pointer", "Good", "hash_nonhex.json"),)),
    Case("ptr_short_hash_pull", "latest.json names a 6-character hash", ("pull", "Good"), 4,
         (("pointer", "Good", "hash_short.json"),)),
    Case("ptr_traversal_inspect", "latest.json's hash is a path traversal", ("inspect", "Good"), 4,
         (("pointer", "Good", "hash_traversal.json"),)),
    Case("ptr_other_class", "latest.json of Good names class Other", ("inspect", "Good"), 4,
         (("pointer", "Good", "other_class.json"),)),
    Case("ptr_missing_version_verify", "latest.json points at a version that is not stored",
         ("verify",), 4, (("pointer_to", "Good", "M1"),)),
    Case("ptr_missing_version_pull", "pull through a pointer to a missing version",
         ("pull", "Good"), 4, (("pointer_to", "Good", "M1"),)),
    Case("ptr_missing_version_inspect", "inspect through a pointer to a missing version",
         ("inspect", "Good"), 4, (("pointer_to", "Good", "M1"),)),
    Case("ptr_pickled_global_verify", "a LabChain (pickled) latest.json that would call os.system",
         ("verify",), 4, (("pointer_evil", "Lab"),), tags=("canary",)),
    Case("ptr_pickled_global_inspect", "inspect through that pointer", ("inspect", "Lab"), 4,
         (("pointer_evil", "Lab"),), tags=("canary",)),
    # ------------------------------------------------------- bad arguments
    Case("arg_hash_nonhex", "a hash with non-hex characters", ("inspect", "Good", "zzzzzzzz"), 2),
    Case("arg_hash_short_prefix", "a prefix shorter than 6", ("inspect", "Good", "abcde"), 2),
    Case("arg_hash_too_long", "65 hex characters", ("rollback", "Good", "--to", "{G1}0"), 2),
    Case("arg_hash_uppercase_junk", "a 64-character non-hex hash", ("pull", "Good", "--hash", "G" * 64), 2),
    Case("arg_prefix_ambiguous", "a prefix two versions share", ("inspect", "Good", "abcdef"), 2),
    Case("arg_expect_nonhex", "--expect that is not a hash", ("rollback", "Good", "--to", "{G1}", "--expect", "nope!"), 2),
    Case("arg_class_dotdot", "class name '..'", ("log", ".."), 2),
    Case("arg_class_traversal", "class name '../Other'", ("inspect", "../Other"), 2),
    Case("arg_class_slash", "class name 'a/b'", ("log", "a/b"), 2),
    Case("arg_class_rollback_traversal", "rollback of '../../etc'", ("rollback", "../../etc", "--to", "{G1}"), 2),
    Case("arg_class_empty", "an empty class name", ("log", ""), 2),
    Case("arg_class_newline", "a class name with a newline", ("log", "Go\nod"), 2),
    Case("arg_class_unicode_sep", "a unicode name with a slash", ("log", "名前/x"), 2),
    Case("arg_class_unicode_absent", "a valid unicode identifier not in the store", ("log", "Ünïcødé"), 1),
    Case("arg_class_absent", "a class the store does not hold", ("inspect", "Nobody"), 1),
    Case("arg_version_absent", "a full hash the class does not hold", ("rollback", "Good", "--to", "{M1}"), 1),
    Case("arg_prefix_absent", "a prefix that matches nothing", ("diff", "Good", "fedcba", "{G1}"), 1),
    # ------------------------------------------------------- broken projects
    Case("mod_syntax_error", "a module with a syntax error", ("hash", "--module", "syntax_error"), 1),
    Case("mod_raises", "a module that raises on import", ("hash", "--module", "raises_on_import"), 1),
    Case("mod_raises_status", "status over a module that raises", ("status", "--module", "raises_on_import"), 1),
    Case("mod_exits", "a module that kills its interpreter on import", ("hash", "--module", "exits_on_import"), 1),
    Case("mod_hangs", "a module whose import never returns", ("hash", "--module", "hangs_on_import", "--timeout", "3"), 1),
    Case("mod_missing", "a module that does not exist", ("hash", "--module", "no_such_module_here"), 1),
    Case("mod_push_syntax", "push from a module with a syntax error", ("push", "Broken", "--module", "syntax_error"), 1),
    # ------------------------------------------------------- bad stores and URLs
    Case("url_s3_empty", "s3:// without a bucket", ("ls", "--storage", "s3://"), 1, target="none"),
    Case("url_ftp", "an unsupported scheme", ("ls", "--storage", "ftp://x"), 1, target="none"),
    Case("url_bad_bucket", "a bucket name S3 would never accept", ("ls", "--storage", "s3://Bad_Bucket!!"), 1,
         target="none"),
    Case("url_missing_folder", "a local store that does not exist", ("ls", "--storage", "{store}/does/not/exist"), 1,
         target="none"),
    Case("url_missing_bucket", "a bucket that does not exist", ("ls", "--storage", "s3://pb-no-such-bucket-0000/x"), 1,
         target="s3"),
    Case("url_unreachable", "an endpoint nobody listens on",
         ("ls", "--storage", "s3://pb-any-bucket/x", "--endpoint-url", "http://127.0.0.1:{closed_port}"), 1,
         target="aws"),
    Case("s3_no_credentials", "an S3 store with no credentials anywhere", ("ls", "--storage", "s3://pb-any-bucket/x"), 1,
         target="none"),
    Case("s3_wrong_credentials", "credentials S3 does not know", ("ls", "--storage", "s3://pb-any-bucket/x"), 1,
         target="s3-denied"),
    Case("s3_wrong_credentials_push", "a push with credentials S3 does not know",
         ("push", "--all", "--module", "prints_megabytes", "--storage", "s3://pb-any-bucket/x"), 1,
         target="s3-denied"),
    Case("s3_unknown_profile", "an AWS profile that is not configured",
         ("ls", "--storage", "s3://pb-any-bucket/x", "--profile", "nobody-here"), 1, target="aws"),
)

#: Modules of corpus/modules/ every project of the corpus gets.
MODULES = ("syntax_error", "raises_on_import", "hangs_on_import", "prints_megabytes", "exits_on_import")
