"""Reading request bodies: whole bodies however they arrive, and the size limit."""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest
from aiohttp import StreamReader, web
from aiohttp.test_utils import make_mocked_request

from ocm_core.apiserver.errors import ApiError
from ocm_core.apiserver.handlers.encoding import read_body

BODY = b'{"metadata":{"name":"a"},"data":{"k":"' + b"v" * 300 + b'"}}'


def request_with(headers: dict[str, str]) -> tuple[web.Request, StreamReader]:
    protocol = mock.Mock(_reading_paused=False)
    payload = StreamReader(protocol, limit=2**16, loop=asyncio.get_running_loop())
    return make_mocked_request("POST", "/", headers=headers, payload=payload), payload


async def test_body_arriving_in_pieces_is_read_whole() -> None:
    request, payload = request_with({"Content-Length": str(len(BODY))})
    reading = asyncio.create_task(read_body(request, 1024))
    payload.feed_data(BODY[:100])
    await asyncio.sleep(0)  # the reader has taken the first piece and waits for more
    assert not reading.done()
    payload.feed_data(BODY[100:])
    payload.feed_eof()
    assert await reading == BODY


async def test_chunked_body_is_read_to_its_end() -> None:
    request, payload = request_with({"Transfer-Encoding": "chunked"})
    for start in range(0, len(BODY), 64):
        payload.feed_data(BODY[start : start + 64])
    payload.feed_eof()
    assert await read_body(request, 1024) == BODY


async def test_body_cut_short_returns_what_came() -> None:
    request, payload = request_with({"Content-Length": str(len(BODY))})
    payload.feed_data(BODY[:10])
    payload.feed_eof()
    assert await read_body(request, 1024) == BODY[:10]


@pytest.mark.parametrize("headers", [{"Content-Length": "2048"}, {"Transfer-Encoding": "chunked"}])
async def test_body_over_the_limit_is_refused(headers: dict[str, str]) -> None:
    request, payload = request_with(headers)
    payload.feed_data(b"x" * 2048)
    payload.feed_eof()
    with pytest.raises(ApiError) as refused:
        await read_body(request, 1024)
    assert refused.value.code == 413
