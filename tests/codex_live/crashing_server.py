"""A server command that dies mid-session: it relays the client's lines to a real server and,
right after relaying a request of one method, kills the whole server and exits with a status.

    python -m tests.codex_live.crashing_server --after turn/start --status 70 -- SERVER_CMD ...

The server writes to this process's stdout directly; killing its process group takes its
children (Codex under `codex_session`) with it, as a crash would."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.codex_live.crashing_server")
    parser.add_argument("--after", required=True, help="kill the server once a request of this method was relayed")
    parser.add_argument("--status", type=int, default=70, help="this process's exit status after the kill")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    server = subprocess.Popen(command, stdin=subprocess.PIPE, start_new_session=True)
    assert server.stdin is not None
    for line in sys.stdin.buffer:
        server.stdin.write(line)
        server.stdin.flush()
        if json.loads(line).get("method") == args.after:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            print(f"crashing_server: killed the server (pid {server.pid}) right after {args.after}", file=sys.stderr, flush=True)
            return int(args.status)
    server.stdin.close()
    return server.wait()


if __name__ == "__main__":
    sys.exit(main())
