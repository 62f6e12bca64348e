import subprocess, sys
from pathlib import Path
import pytest

CLI = [str(Path(sys.executable).parent / 'corrective-unlearning')]
MODULE = [sys.executable, '-m', 'corrective_unlearning']

def run_cli(*args, cmd=CLI, cwd=None):
    "Run the command line in a real subprocess; return (exit status, stdout, stderr)."
    p = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=600)
    return p.returncode, p.stdout, p.stderr

@pytest.fixture
def cli(): return run_cli
