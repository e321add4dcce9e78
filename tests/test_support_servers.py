"""The test/bench stand's throwaway redis-server must be its own: a free port can be taken between
choosing it and binding it (bench/smoke.sh runs several benchmarks at once; CI's first red was a
gunicorn that lost its port that way). These prove RedisServer moves to a fresh port instead of
talking to whoever holds the old one."""

import socket

import pytest
import redis

from tests import support


def _pid(server: support.RedisServer) -> int:
    return int(redis.Redis(port=server.port).info("server")["process_id"])


def test_a_port_taken_by_something_else_moves_redis_to_a_fresh_port(tmp_path):
    server = support.RedisServer(tmp_path)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", server.port))
        blocker.listen(1)
        taken = server.port
        server.start()
        try:
            assert server.port != taken
            assert _pid(server) == server.process.pid
        finally:
            server.stop()


def test_another_redis_on_the_port_is_not_taken_for_ours(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = support.RedisServer(tmp_path / "a")
    first.start()
    second = support.RedisServer(tmp_path / "b")
    second.port = first.port  # as if another process had picked the same free port first
    try:
        second.start()
        assert second.port != first.port
        assert _pid(second) == second.process.pid != first.process.pid
    finally:
        second.stop()
        first.stop()


def test_a_restart_keeps_its_port_or_fails(tmp_path):
    server = support.RedisServer(tmp_path)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", server.port))
        blocker.listen(1)
        try:
            with pytest.raises(RuntimeError, match="did not start"):
                server.start(attempts=1)
        finally:
            server.stop()
