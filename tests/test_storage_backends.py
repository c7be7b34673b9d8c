"""The byte-level Storage contract, run against both backends (local folder, S3 on moto)."""

from __future__ import annotations

import threading

import pytest

from petbrowser.core.errors import AlreadyExistsError, ConflictError, NotFoundError, StorageError
from petbrowser.core.storage import LocalStorage, open_storage


def test_create_read_list_exists(any_storage):
    any_storage.create("plugins/A/one.pkl", b"1")
    any_storage.create("plugins/B/two.pkl", b"22")
    any_storage.create("other/x", b"x")
    assert any_storage.read("plugins/A/one.pkl") == b"1"
    assert any_storage.exists("plugins/B/two.pkl")
    assert not any_storage.exists("plugins/B/nope.pkl")
    listed = {o.key: o.size for o in any_storage.list("plugins/")}
    assert listed == {"plugins/A/one.pkl": 1, "plugins/B/two.pkl": 2}
    assert [o.key for o in any_storage.list("plugins/B/")] == ["plugins/B/two.pkl"]
    with pytest.raises(NotFoundError):
        any_storage.read("plugins/A/missing.pkl")


def test_create_only_refuses_second_write_and_keeps_bytes(any_storage):
    any_storage.create("plugins/A/v.pkl", b"first")
    with pytest.raises(AlreadyExistsError):
        any_storage.create("plugins/A/v.pkl", b"second")
    assert any_storage.read("plugins/A/v.pkl") == b"first"


def test_replace_is_compare_and_swap(any_storage):
    key = "plugins/A/latest.json"
    t1 = any_storage.replace(key, b"v1", None)
    with pytest.raises(ConflictError):
        any_storage.replace(key, b"again", None)  # "must not exist" but it does
    data, token = any_storage.read_with_token(key)
    assert (data, token) == (b"v1", t1)
    # two writers read the same token: the first wins, the second loses
    any_storage.replace(key, b"winner", token)
    with pytest.raises(ConflictError):
        any_storage.replace(key, b"loser", token)
    assert any_storage.read(key) == b"winner"


def test_replace_with_token_of_missing_object_conflicts(any_storage):
    t = any_storage.replace("plugins/A/latest.json", b"v1", None)
    with pytest.raises(ConflictError):
        any_storage.replace("plugins/A/other.json", b"x", t)
    assert not any_storage.exists("plugins/A/other.json")


@pytest.mark.parametrize("key", ["../x", "plugins/../x", "/abs", "plugins//x", "", "plugins/./x"])
def test_unsafe_keys_are_refused(any_storage, key):
    with pytest.raises(StorageError):
        any_storage.create(key, b"x")


def test_local_concurrent_replace_has_one_winner(tmp_path):
    st = LocalStorage(tmp_path / "store")
    key = "plugins/A/latest.json"
    token = st.replace(key, b"start", None)
    n = 8
    barrier = threading.Barrier(n)
    wins: list[int] = []
    losses: list[int] = []

    def writer(i: int) -> None:
        barrier.wait()
        try:
            st.replace(key, f"w{i}".encode(), token)
            wins.append(i)
        except ConflictError:
            losses.append(i)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == n - 1
    assert st.read(key) == f"w{wins[0]}".encode()
    assert list(st.list_internal("plugins/")) == []  # no lock or temp file left


def test_local_first_create_makes_the_folder_and_hides_internal_files(tmp_path):
    root = tmp_path / "new" / "store"
    st = open_storage(f"file://{root}")
    st.create("plugins/A/v.pkl", b"x")
    assert (root / "plugins/A/v.pkl").read_bytes() == b"x"
    (root / "plugins/A/.v.pkl.deadbeef.tmp").write_bytes(b"partial")
    (root / "plugins/A/.latest.json.lock").write_bytes(b"")
    assert [o.key for o in st.list("plugins/")] == ["plugins/A/v.pkl"]
    assert sorted(o.key for o in st.list_internal("plugins/")) == [
        "plugins/A/.latest.json.lock",
        "plugins/A/.v.pkl.deadbeef.tmp",
    ]


def test_open_storage_urls(tmp_path):
    from petbrowser.core.errors import ConfigError

    assert isinstance(open_storage(str(tmp_path)), LocalStorage)
    assert open_storage(f"file://{tmp_path}").url == str(tmp_path)
    for bad in ("", None, "gs://bucket/x", "file://otherhost/x"):
        with pytest.raises(ConfigError):
            open_storage(bad)
    with pytest.raises(ConfigError) as err:
        open_storage("s3://AKIASECRET:hunter2@bucket/x")
    assert "hunter2" not in str(err.value) and "AKIASECRET" not in str(err.value)


def test_s3_url_prefix_maps_to_keys(s3_url, s3_endpoint, s3_bucket):
    import boto3

    st = open_storage(s3_url, endpoint_url=s3_endpoint)
    st.create("plugins/A/v.pkl", b"x")
    raw = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in raw.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == ["team-store/plugins/A/v.pkl"]
    assert st.url == s3_url


def test_aws_endpoint_url_env_is_honoured(s3_url, s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    st = open_storage(s3_url)
    st.check()
    st.create("plugins/A/v.pkl", b"x")
    assert st.read("plugins/A/v.pkl") == b"x"


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-29T23:17:03.000Z",
        "2026-11-29T23:17:03Z",
        "2026-11-29T23:17:03.123456Z",
        "2026-11-29T23:17:03.5Z",  # not S3's form: botocore's parser
        "2026-11-29T23:17:03+01:00",
        "Sun, 29 Nov 2026 23:17:03 GMT",
        1764458223,
        "1764458223",
    ],
)
def test_s3_timestamps_read_as_botocore_reads_them(value):
    from botocore.utils import parse_timestamp

    from petbrowser.core.storage.s3 import _parse_timestamp

    assert _parse_timestamp(value).timestamp() == parse_timestamp(value).timestamp()
    assert _parse_timestamp(value).utcoffset() is not None


def test_s3_listing_reads_times_without_the_general_date_parser(s3_url, s3_endpoint, s3_bucket, monkeypatch):
    """A listing's LastModified (one per key) skips dateutil: it was most of a listing's client CPU."""
    import boto3
    import botocore.utils

    st = open_storage(s3_url, endpoint_url=s3_endpoint)
    for i in range(5):
        st.create(f"plugins/A/v{i}.pkl", b"x")
    raw = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    want = {
        o["Key"].split("/", 1)[1]: o["LastModified"].timestamp()
        for o in raw.list_objects_v2(Bucket=s3_bucket)["Contents"]
    }
    general = botocore.utils._parse_timestamp_with_tzinfo
    calls = []
    me = threading.get_ident()  # the moto server in this process parses its own times on its threads

    def counting(value, tzinfo):
        if threading.get_ident() == me:
            calls.append(value)
        return general(value, tzinfo)

    monkeypatch.setattr(botocore.utils, "_parse_timestamp_with_tzinfo", counting)
    got = {o.key: o.modified for o in st.list("plugins/")}
    assert got == want
    assert calls == []
