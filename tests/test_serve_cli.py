"""`grader serve`: a foreground emulator whose env file is all a client needs, kernels a plain
Jupyter finds under the course's kernel names, and the buckets the course made in the console."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from grader.emulator import read_env_file

ROOT = Path(__file__).resolve().parents[1]
HOUSING_STARTER = ROOT / "activities" / "housing" / "starter" / "boston-housing-regression.ipynb"

CLIENT = """
import boto3, sagemaker
print("ACCOUNT", boto3.client("sts").get_caller_identity()["Account"])
print("ROLE", sagemaker.get_execution_role())
print("BUCKET", sagemaker.Session().default_bucket())
"""


@pytest.mark.slow
def test_serve_writes_an_env_file_that_is_all_a_client_needs_and_stops_on_sigterm(tmp_path):
    env_file = tmp_path / "aws.env"
    server = subprocess.Popen([sys.executable, "-m", "grader.cli", "serve", "--port", "0",
                               "--env-file", str(env_file)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            if env_file.exists() and env_file.read_text().endswith("\n"):
                break
            time.sleep(0.05)
        env = {**read_env_file(env_file), "PATH": os.path.dirname(sys.executable), "HOME": str(tmp_path)}
        client = subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True,
                                timeout=120)
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
    done = subprocess.run([sys.executable, "-m", "grader.cli", "serve", "--prot", "1"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "unrecognized arguments: --prot" in done.stderr


def serve(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grader.cli", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_json(path: Path, server: subprocess.Popen) -> dict:
    for _ in range(600):
        if server.poll() is not None:
            raise AssertionError(f"grader serve exited {server.returncode}: {server.stderr.read()}")
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):   # not written yet, or half written
            time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


def stop(server: subprocess.Popen) -> str:
    server.send_signal(signal.SIGTERM)
    out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    return out


def run_in_kernel(client, code: str) -> str:
    printed = []
    reply = client.execute_interactive(code, timeout=120, output_hook=lambda message: printed.append(
        message["content"].get("text", "") if message["msg_type"] == "stream" else ""))
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


@pytest.mark.slow
def test_a_plain_jupyter_finds_the_course_kernels_and_they_reach_the_buckets_the_notebook_names(
        tmp_path, monkeypatch):
    jupyter_dir = tmp_path / "jupyter"
    server = serve("--install-kernels", str(jupyter_dir), "--bucket", "sagemaker-20191007-2307",
                   "--notebook", str(HOUSING_STARTER))
    try:
        spec_file = jupyter_dir / "kernels" / "conda_python3" / "kernel.json"
        written = wait_for_json(spec_file, server)
        assert written["argv"][0] == sys.executable
        # Jupyter looks for kernels in JUPYTER_PATH before its own: both course names resolve to ours.
        monkeypatch.setenv("JUPYTER_PATH", str(jupyter_dir))
        specs = KernelSpecManager()
        for name in ("python3", "conda_python3"):
            assert Path(specs.get_kernel_spec(name).resource_dir) == jupyter_dir / "kernels" / name
        manager = KernelManager(kernel_name="conda_python3", kernel_spec_manager=specs)
        manager.start_kernel()
        client = manager.client()
        try:
            client.start_channels()
            client.wait_for_ready(timeout=120)
            printed = run_in_kernel(client, "import boto3, sagemaker\n"
                                    "print(sorted(b['Name'] for b in "
                                    "boto3.client('s3').list_buckets()['Buckets']))\n"
                                    "print(sagemaker.get_execution_role())")
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    finally:
        out = stop(server)
    buckets, role = printed.strip().splitlines()[-2:]
    # The starter names its bucket `sagemaker-bucket-name-here` and never creates it: graded runs make it.
    assert buckets == str(["sagemaker-20191007-2307", "sagemaker-bucket-name-here"])
    assert role == written["env"]["GRADER_EXECUTION_ROLE_ARN"]
    assert f"JUPYTER_PATH={jupyter_dir} jupyter notebook" in out


@pytest.mark.parametrize("args, said", [
    (["--bucket", "Not_A_Bucket"], "--bucket Not_A_Bucket may contain only lowercase letters"),
    (["--notebook", "missing.ipynb"], "missing.ipynb: no such notebook file"),
])
def test_serve_refuses_bad_buckets_and_notebooks_in_one_line_before_it_starts(args, said):
    done = subprocess.run([sys.executable, "-m", "grader.cli", "serve", *args], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and said in done.stderr


def test_kernels_take_the_course_names_and_each_notebooks_own_but_never_a_path(tmp_path):
    import nbformat

    from grader.serve import install_kernels, kernel_names

    notebooks = []
    for index, name in enumerate(["conda_amazonei_mxnet_p36", "../../escape", "python3"]):
        notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": name, "display_name": name,
                                                                     "language": "python"}})
        notebooks.append(tmp_path / f"n{index}.ipynb")
        nbformat.write(notebook, notebooks[-1])
    names = kernel_names(notebooks)
    assert names == ["python3", "conda_python3", "conda_amazonei_mxnet_p36"]
    install_kernels(tmp_path / "jupyter", names, {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert sorted(path.name for path in (tmp_path / "jupyter" / "kernels").iterdir()) == sorted(names)
    kernel_json = tmp_path / "jupyter" / "kernels" / "conda_amazonei_mxnet_p36" / "kernel.json"
    spec = json.loads(kernel_json.read_text())
    assert spec["argv"][0] == sys.executable and spec["env"] == {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
    assert not (tmp_path / "escape").exists()
