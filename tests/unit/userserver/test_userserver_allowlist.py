"""The exposed-services allow-list: upstream's ConfigMap format, strict parsing, last good."""

from __future__ import annotations

import pytest

from proxy_server.userserver.allowlist import (
    AllowList,
    AllowListError,
    AllowListWatcher,
    ExposedService,
    parse_data,
    parse_text,
)


def test_entries_from_every_key_and_wildcards() -> None:
    allow = parse_data(
        {
            "a": "- {namespace: shop, service: web}\n",
            "b": "- {namespace: shop, service: db, port: 5432, protocol: https}\n",
        },
        source="cm",
    )
    assert allow.allows("shop", "web", 1, "http")
    assert allow.allows("shop", "db", 5432, "https")
    assert not allow.allows("shop", "db", 5432, "http")
    assert not allow.allows("shop", "db", 5433, "https")
    assert not allow.allows("other", "web", 80, "http")


def test_empty_list_denies_everything() -> None:
    assert not AllowList().allows("shop", "web", 80, "http")


def test_file_may_hold_a_configmap_or_bare_data() -> None:
    manifest = "kind: ConfigMap\ndata:\n  x: '- {namespace: n, service: s}'\n"
    assert parse_text(manifest, source="f").entries == (ExposedService("n", "s"),)
    assert parse_text("x: '- {namespace: n, service: s}'\n", source="f").entries == (
        ExposedService("n", "s"),
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("- {namespace: n}", "'service' must be", id="no-service"),
        pytest.param("- {namespace: n, service: s, colour: red}", "unknown field", id="unknown"),
        pytest.param("- {namespace: n, service: s, port: web}", "'port' must be", id="port"),
        pytest.param("- {namespace: n, service: s, protocol: ftp}", "http or https", id="proto"),
        pytest.param("{namespace: n}", "expected a list", id="not-a-list"),
        pytest.param("- [", "invalid YAML", id="yaml"),
    ],
)
def test_strict_parsing(value: str, message: str) -> None:
    with pytest.raises(AllowListError) as info:
        parse_data({"k": value}, source="cm")
    assert message in str(info.value)
    assert "data['k']" in str(info.value)


async def test_watcher_keeps_the_last_good_list() -> None:
    answers: list[AllowList | Exception] = [
        parse_data({"k": "- {namespace: n, service: s}"}, source="cm"),
        AllowListError("broken"),
    ]

    async def load() -> AllowList:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    watcher = AllowListWatcher(load)
    assert not watcher.loaded
    await watcher.refresh()
    await watcher.refresh()
    assert watcher.loaded
    assert watcher.current.allows("n", "s", 1, "http")
