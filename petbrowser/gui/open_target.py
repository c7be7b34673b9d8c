"""What the window opens: a project folder and/or a store, and how to reach it.

Kept as plain data so it can be remembered in QSettings (recent items, the
last project) — which is why it has no field for secrets: credentials come
from boto3's own chain (profile, environment), never from petbrowser.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["OpenTarget", "strip_userinfo"]

#: ``scheme://user:secret@`` — credentials typed into a URL.  The secret may
#: hold raw "/" (AWS secrets do), so the user-info runs up to the "@".
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s@]*@")


def strip_userinfo(text: str) -> str:
    """Drop ``user:secret@`` from every URL in ``text``: window titles, messages
    and remembered settings must never carry credentials."""
    return _USERINFO.sub(lambda m: m.group("scheme"), text)


@dataclass(frozen=True)
class OpenTarget:
    project_dir: str | None = None
    storage: str | None = None  # URL or path; None: the project's own setting
    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None

    @property
    def label(self) -> str:
        """Short human name: the project folder's name, else the store URL."""
        if self.project_dir:
            return Path(self.project_dir).name or self.project_dir
        return strip_userinfo(self.storage) if self.storage else "(nothing)"

    @property
    def description(self) -> str:
        parts = []
        if self.project_dir:
            parts.append(self.project_dir)
        if self.storage:
            parts.append(f"store {self.storage}")
        if self.endpoint_url:
            parts.append(f"endpoint {self.endpoint_url}")
        if self.profile:
            parts.append(f"profile {self.profile}")
        return strip_userinfo(" — ".join(parts))

    def to_dict(self) -> dict[str, str]:
        """What may be remembered: credentials typed into a URL are dropped
        (reopening then uses boto3's own chain, as it should)."""
        return {k: strip_userinfo(v) for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, d: Any) -> OpenTarget | None:
        if not isinstance(d, dict):
            return None
        keys = ("project_dir", "storage", "endpoint_url", "profile", "region")
        values = {k: (str(d[k]) if d.get(k) else None) for k in keys}
        if not values["project_dir"] and not values["storage"]:
            return None
        return cls(**values)
