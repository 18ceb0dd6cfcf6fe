"""Static bearer tokens from a kube-apiserver `--token-auth-file` style CSV.

Each line is `token,user,uid[,"group1,group2"]` (kube's format: CSV, the group list is one
quoted field). Blank lines and lines starting with `#` are skipped. Unlike kube, which warns and
keeps the last, a duplicate token is an error: two users sharing a secret is never intended.
This module parses and looks up; reading the file is the caller's (or `from_file`'s) job.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ocm_core.apiserver.auth import user as users
from ocm_core.apiserver.auth.errors import TokenFileError

_MIN_COLUMNS: Final = 3
_MAX_COLUMNS: Final = 4
_FORMAT_HINT: Final = 'expected token,user,uid[,"group1,group2"]'
_UTF8_BOM: Final = "\ufeff"


@dataclass(frozen=True)
class StaticTokens:
    """Token → user table. `repr` never shows tokens."""

    users_by_token: Mapping[str, users.UserInfo] = field(repr=False)

    @classmethod
    def parse(cls, text: str, *, source: str = "token file") -> StaticTokens:
        """Parse the CSV text; `source` names the file in error messages."""
        table: dict[str, users.UserInfo] = {}
        first_line: dict[str, int] = {}
        reader = csv.reader(
            io.StringIO(text.removeprefix(_UTF8_BOM)), skipinitialspace=True, strict=True
        )
        try:
            for row in reader:
                line = reader.line_num
                if not row or not any(cell.strip() for cell in row):
                    continue
                if row[0].lstrip().startswith("#"):
                    continue
                token, user = _parse_row(row, source=source, line=line)
                if token in table:
                    raise TokenFileError(
                        f"{source}: line {line}: duplicate token (first seen on line "
                        f"{first_line[token]}); give every user its own token"
                    )
                table[token] = user
                first_line[token] = line
        except csv.Error as exc:
            raise TokenFileError(f"{source}: line {reader.line_num}: {exc}") from exc
        return cls(users_by_token=table)

    @classmethod
    def from_file(cls, path: Path) -> StaticTokens:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TokenFileError(f"cannot read token file {path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise TokenFileError(f"token file {path} is not UTF-8 text") from exc
        return cls.parse(text, source=str(path))

    def authenticate(self, token: str) -> users.UserInfo | None:
        """The user holding `token`, with `system:authenticated`; None if unknown."""
        found = self.users_by_token.get(token)
        if found is None:
            return None
        return users.with_authenticated_group(found)

    def __len__(self) -> int:
        return len(self.users_by_token)


def _parse_row(row: list[str], *, source: str, line: int) -> tuple[str, users.UserInfo]:
    cells = [cell.strip() for cell in row]
    if not _MIN_COLUMNS <= len(cells) <= _MAX_COLUMNS:
        raise TokenFileError(
            f"{source}: line {line}: {_FORMAT_HINT}, got {len(cells)} column(s); "
            "quote the group list if it has commas"
        )
    token, name, uid = cells[0], cells[1], cells[2]
    if not token:
        raise TokenFileError(f"{source}: line {line}: the token (column 1) is empty")
    if any(ch.isspace() for ch in token):
        raise TokenFileError(f"{source}: line {line}: the token (column 1) contains whitespace")
    if not name:
        raise TokenFileError(f"{source}: line {line}: the user name (column 2) is empty")
    groups: tuple[str, ...] = ()
    if len(cells) == _MAX_COLUMNS and cells[3]:
        groups = tuple(group.strip() for group in cells[3].split(","))
        if not all(groups):
            raise TokenFileError(f"{source}: line {line}: empty group name in column 4")
    return token, users.UserInfo(name=name, groups=groups, uid=uid)
