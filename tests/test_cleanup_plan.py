"""The cleanup plan (`grader audit --plan-cleanup FILE`, grader/audit/deletion.py) run the way an
instructor runs it, against a stand-in `aws` command that records each call with the credentials it
was given: one section per account, each with that account's credentials as the audit read them and
checked before anything is deleted; nothing runs unless a section (or `all`) is named; the first
failure stops the plan."""

import os
import subprocess

import pytest

from grader.audit.deletion import commands, write_plan

ALICE = "profile=alice key= ::"           # how the stand-in logs a call with alice's profile
BOB = "profile= key=KEY-222222222222 ::"   # and with the role assumed in bob's account
FAKE_AWS = r"""#!/usr/bin/env bash
# a stand-in for the AWS CLI: logs each call with its credentials; answers sts as AWS would
profile="${AWS_PROFILE:-}"
args=("$@")
for i in "${!args[@]}"; do
  if [ "${args[$i]}" = "--profile" ]; then profile="${args[$((i + 1))]}"; fi
done
echo "profile=${profile} key=${AWS_ACCESS_KEY_ID:-} :: $*" >> "$AWS_LOG"
case "$1 $2" in
  "sts get-caller-identity")
    if [ -n "${AWS_ACCESS_KEY_ID:-}" ]; then echo "${AWS_ACCESS_KEY_ID#KEY-}"
    elif [ "$profile" = alice ]; then echo 111111111111
    elif [ "$profile" = liar ]; then echo 999999999999
    else echo 100000000000; fi ;;
  "sts assume-role")
    arn="${args[3]}"; account="${arn#*::}"; echo "KEY-${account%%:*} secret token" ;;
  "s3 rb")
    if [ "$3" = "s3://will-fail" ]; then echo "boom" >&2; exit 1; fi ;;
esac
"""


def account(student, account_id, kind, label, *buckets, profile=None, role_arn=None, failure=None):
    leftovers = [{"kind": "buckets", "type": "S3 bucket", "name": name, "region": "us-west-2", "state": ""}
                 for name in buckets]
    for leftover in leftovers:
        leftover["delete_commands"] = commands(leftover, profile)
    return {"student": student, "account_id": account_id, "failure": failure, "leftovers": leftovers,
            "source": {"kind": kind, "label": label, "profile": profile, "role_arn": role_arn,
                       "description": f"{kind} {label}"}}


@pytest.fixture
def plan(tmp_path):
    audit = {"generated_at": "2026-12-07T00:00:00+00:00", "accounts": [
        account("Alice", "111111111111", "profile", "alice", "alice-bucket", profile="alice"),
        account("Bob", "222222222222", "organization", "bob", "bob-bucket", "will-fail", "bob-after",
                role_arn="arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"),
        account("Management", "100000000000", "organization", "main", "main-bucket"),
        account("<script>$(touch pwned)</script>", "333333333333", "snapshot", "carol.json", "carol-bucket"),
        account("Dan", None, "profile", "dan", failure="InvalidClientTokenId"),
        account("Liar", "444444444444", "profile", "liar", "liar-bucket", profile="liar")]}
    path = tmp_path / "cleanup.sh"
    write_plan(path, audit)
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "aws").write_text(FAKE_AWS)
    (bin_folder / "aws").chmod(0o755)
    return path, bin_folder


def run(plan, *arguments, **env):
    path, bin_folder = plan
    log = path.parent / "aws.log"
    log.unlink(missing_ok=True)
    environment = {"PATH": f"{bin_folder}:{os.environ['PATH']}", "AWS_LOG": str(log),
                   "HOME": str(path.parent), **env}
    done = subprocess.run(["bash", str(path), *arguments], capture_output=True, text=True, env=environment,
                          cwd=path.parent, timeout=30)
    return done, (log.read_text().splitlines() if log.exists() else [])


def test_its_first_lines_say_how_to_run_one_section_and_it_stops_on_the_first_failure(plan):
    text = plan[0].read_text()
    lines = text.splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert lines[1] == ("# Run one account's section alone:  bash cleanup.sh ACCOUNT_ID   "
                        "(e.g. bash cleanup.sh 111111111111)")
    assert lines[2] == "# Run every section in turn:         bash cleanup.sh all"
    assert "set -euo pipefail" in lines
    assert "could not be read" in text and "Dan" in text
    assert all("<script>" not in line for line in lines if not line.lstrip().startswith("#"))


def test_nothing_runs_unless_a_section_is_named(plan):
    done, calls = run(plan)
    assert done.returncode == 2 and "usage: bash cleanup.sh ACCOUNT_ID | all" in done.stderr and calls == []
    done, calls = run(plan, "555555555555")
    assert done.returncode == 2 and "no section for account 555555555555" in done.stderr and calls == []


def test_one_section_alone_uses_its_profile_and_checks_the_account(plan):
    done, calls = run(plan, "111111111111", AWS_PROFILE="someone-else")
    assert done.returncode == 0, done.stderr
    assert calls == [f"{ALICE} sts get-caller-identity --query Account --output text --profile alice",
                     f"{ALICE} s3 rb s3://alice-bucket --force --region us-west-2 --profile alice"]


def test_an_organization_member_section_assumes_the_audits_role_and_stops_at_a_failure(plan):
    done, calls = run(plan, "222222222222", AWS_ACCESS_KEY_ID="KEY-100000000000")
    assert done.returncode == 1 and "boom" in done.stderr
    assert calls[0].startswith("profile= key=KEY-100000000000 :: sts assume-role --role-arn "
                               "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole")
    assert calls[1:] == [f"{BOB} sts get-caller-identity --query Account --output text",
                         f"{BOB} s3 rb s3://bob-bucket --force --region us-west-2",
                         f"{BOB} s3 rb s3://will-fail --force --region us-west-2"]
    assert not any("bob-after" in call for call in calls)   # set -e: nothing after the failure


def test_credentials_for_another_account_delete_nothing(plan):
    done, calls = run(plan, "444444444444")
    assert done.returncode == 1 and "are for account 999999999999, not 444444444444" in done.stderr
    assert not any(" rb " in call for call in calls)
    done, calls = run(plan, "333333333333")   # a recording: the credentials in use must be its account's
    assert done.returncode == 1 and "not 333333333333" in done.stderr
    assert not any(" rb " in call for call in calls)


def test_all_runs_each_section_with_its_own_credentials_until_the_first_failure(plan):
    done, calls = run(plan, "all")
    assert done.returncode == 1
    deleted = [call for call in calls if " rb " in call]
    assert deleted == [f"{ALICE} s3 rb s3://alice-bucket --force --region us-west-2 --profile alice",
                       f"{BOB} s3 rb s3://bob-bucket --force --region us-west-2",
                       f"{BOB} s3 rb s3://will-fail --force --region us-west-2"]
    assert not (plan[0].parent / "pwned").exists()
