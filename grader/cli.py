"""The `grader` command line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def _serve(args) -> int:
    from .emulator import Emulator, client_environment, write_env_file

    try:
        emulator = Emulator(port=args.port).start()
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port} ({error.strerror}); choose another --port or 0")
    account = emulator.new_account(args.region)
    env = client_environment(emulator.url, account, loopback_only=not args.allow_network)
    if args.env_file:
        write_env_file(args.env_file, env)
    print(f"Emulated AWS listening on {emulator.url} (account {account.account_id}, region {args.region}).")
    print("Use this environment in the process that runs your notebook"
          + (f" (written to {args.env_file}):" if args.env_file else ":"))
    for key, value in env.items():
        print(f"  export {key}={value}")
    print("Press Ctrl-C to stop.", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    emulator.stop()
    print("Emulator stopped.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the offline AWS emulator in the foreground")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    serve.add_argument("--env-file", type=Path, help="also write the client environment here as KEY=VALUE lines")
    serve.add_argument("--region", default="us-west-2", help="the account's region (default us-west-2)")
    serve.add_argument("--allow-network", action="store_true",
                       help="do not block non-loopback connections in client processes")
    serve.set_defaults(run=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        print(f"grader: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
