"""The model check run.sh does before ``rasa run``: a broken archive is one clear
paragraph naming the fix, not a stack trace or a server without a model."""

import io
import json
import os
import tarfile

import pytest

from bot.serving.modelcheck import FIX, REQUIRED_METADATA, UnusableModel, check_model, main

METADATA = {key: "x" for key in REQUIRED_METADATA}
METADATA["rasa_open_source_version"] = "3.6.21"


def archive(path, members):
    """A .tar.gz with the given {name: bytes} members, like Rasa's model archives."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def good_model(tmp_path):
    return archive(tmp_path / "good.tar.gz", {
        "metadata.json": json.dumps(METADATA).encode(),
        "components/train_Policy/weights.bin": os.urandom(300_000),  # incompressible, so cuts land in data
    })


def test_a_good_model_passes(good_model, capsys):
    assert check_model(good_model)["rasa_open_source_version"] == "3.6.21"
    assert main([str(good_model)]) == 0
    assert capsys.readouterr().err == ""


def broken(tmp_path, good_model, kind):
    path = tmp_path / f"{kind}.tar.gz"
    if kind == "missing":
        return path
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(good_model.read_bytes()[: good_model.stat().st_size // 2])
    elif kind == "garbage":
        path.write_bytes(os.urandom(2048))
    elif kind == "not a tar":
        import gzip

        path.write_bytes(gzip.compress(b"just some text, not a tar archive" * 100))
    elif kind == "no metadata":
        archive(path, {"components/x.json": b"{}"})
    elif kind == "bad metadata":
        archive(path, {"metadata.json": b"{not json"})
    elif kind == "incomplete metadata":
        archive(path, {"metadata.json": json.dumps({"domain": {}}).encode()})
    return path


@pytest.mark.parametrize("kind", ["missing", "empty", "truncated", "garbage", "not a tar", "no metadata",
                                  "bad metadata", "incomplete metadata"])
def test_a_broken_model_is_one_paragraph_that_names_the_fix(tmp_path, good_model, capsys, kind):
    path = broken(tmp_path, good_model, kind)
    with pytest.raises(UnusableModel):
        check_model(path)
    assert main([str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("[model] error:") and "\n" not in err
    assert str(path) in err and FIX in err and "Traceback" not in err


def test_the_truncated_one_says_so(tmp_path, good_model):
    with pytest.raises(UnusableModel, match="truncated"):
        check_model(broken(tmp_path, good_model, "truncated"))
