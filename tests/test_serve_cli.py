"""`grader serve`: a foreground emulator whose env file is all a client needs."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from grader.emulator import read_env_file

CLIENT = """
import boto3, sagemaker
print("ACCOUNT", boto3.client("sts").get_caller_identity()["Account"])
print("ROLE", sagemaker.get_execution_role())
print("BUCKET", sagemaker.Session().default_bucket())
"""


def test_serve_writes_an_env_file_that_is_all_a_client_needs_and_stops_on_sigterm(tmp_path):
    env_file = tmp_path / "aws.env"
    server = subprocess.Popen([sys.executable, "-m", "grader.cli", "serve", "--port", "0", "--env-file", str(env_file)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            if env_file.exists() and env_file.read_text().endswith("\n"):
                break
            time.sleep(0.05)
        env = {**read_env_file(env_file), "PATH": os.path.dirname(sys.executable), "HOME": str(tmp_path)}
        client = subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, timeout=120)
        assert client.returncode == 0, client.stderr[-3000:]
        answers = dict(line.split(" ", 1) for line in client.stdout.splitlines())
        assert answers["ACCOUNT"] == env["GRADER_ACCOUNT_ID"]
        assert answers["ROLE"] == env["GRADER_EXECUTION_ROLE_ARN"]
        assert answers["BUCKET"] == f"sagemaker-us-west-2-{env['GRADER_ACCOUNT_ID']}"
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in out and "Emulator stopped." in out


def test_serve_on_a_busy_port_is_one_clear_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "grader.cli", "serve", "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_unknown_flag_exits_2():
    done = subprocess.run([sys.executable, "-m", "grader.cli", "serve", "--prot", "1"], capture_output=True, text=True)
    assert done.returncode == 2 and "unrecognized arguments: --prot" in done.stderr
