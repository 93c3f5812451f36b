"""A missing tool fails the run on CI and skips it elsewhere."""

import pytest

from testkit.requirements import missing


@pytest.mark.parametrize("value", ["true", "True", "1", "yes"])
def test_on_ci_a_missing_tool_fails(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="cannot run on CI: qemu-img is missing"):
        missing("qemu-img", "apt-get install qemu-utils")


@pytest.mark.parametrize("value", [None, "", "false"])
def test_elsewhere_a_missing_tool_skips(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match=r"qemu-img is missing \(apt-get install"):
        missing("qemu-img", "apt-get install qemu-utils")
