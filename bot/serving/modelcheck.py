"""Check a trained model archive before ``rasa run`` loads it.

``rasa run`` given a missing, truncated or otherwise broken ``models/shopbot.tar.gz``
either starts without a model (every message then fails) or dies in a stack trace
deep inside the model loader. ``python -m bot.serving.modelcheck [PATH]`` reads the
archive the way Rasa will (every member, so a truncated download or an interrupted
training is caught, and ``metadata.json`` with the fields Rasa needs) and, when it is
unusable, prints one paragraph that says what is wrong and how to fix it, and exits 2.

Stdlib only, plus Rasa's minimum compatible model version when Rasa is installed.
"""

import json
import sys
import tarfile
import zlib
from pathlib import Path
from typing import Optional, Text

DEFAULT_MODEL = "models/shopbot.tar.gz"
FIX = "bash scripts/train.sh --force"
METADATA_FILE = "metadata.json"
# What Rasa's ModelMetadata.from_dict reads without a default.
REQUIRED_METADATA = ("trained_at", "rasa_open_source_version", "model_id", "domain", "train_schema",
                     "predict_schema", "training_type", "project_fingerprint", "core_target",
                     "nlu_target", "language")
EXIT_UNUSABLE = 2


class UnusableModel(Exception):
    """The archive cannot be served; the message says why (without the fix)."""


def _version_problem(trained_with: Text) -> Optional[Text]:
    try:
        from packaging import version
        from rasa.constants import MINIMUM_COMPATIBLE_VERSION
    except ImportError:  # outside the Rasa environment: Rasa itself will check it
        return None
    try:
        if version.parse(str(trained_with)) < version.parse(MINIMUM_COMPATIBLE_VERSION):
            return (f"it was trained with Rasa {trained_with}, and this Rasa needs models "
                    f"from {MINIMUM_COMPATIBLE_VERSION} or newer")
    except version.InvalidVersion:
        return f"its metadata names an invalid Rasa version ({trained_with!r})"
    return None


def check_model(path: Path) -> dict:
    """The archive's metadata if the model is usable; raises ``UnusableModel`` otherwise."""
    if not path.exists():
        raise UnusableModel("there is no file there (no model has been trained yet, or it was deleted)")
    if not path.is_file():
        raise UnusableModel("it is not a file")
    if path.stat().st_size == 0:
        raise UnusableModel("the file is empty (an interrupted training or copy)")
    metadata = None
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:  # reads the whole stream: a truncated file fails here
                if member.isfile():
                    handle = archive.extractfile(member)
                    if member.name.lstrip("./") == METADATA_FILE:
                        metadata = handle.read()
                    else:
                        while handle.read(1 << 20):
                            pass
    except (tarfile.ReadError, EOFError, zlib.error, OSError) as error:
        if isinstance(error, EOFError) or "truncated" in str(error).lower() or "end of" in str(error).lower():
            raise UnusableModel("the archive is truncated (an interrupted training or copy)") from error
        raise UnusableModel(f"it is not a model archive (not a readable .tar.gz: {error})") from error
    if metadata is None:
        raise UnusableModel(f"the archive has no {METADATA_FILE}, so it is not a Rasa 3 model")
    try:
        data = json.loads(metadata.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise UnusableModel(f"its {METADATA_FILE} is not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise UnusableModel(f"its {METADATA_FILE} is not a JSON object")
    missing = [key for key in REQUIRED_METADATA if key not in data]
    if missing:
        raise UnusableModel(f"its {METADATA_FILE} lacks {', '.join(missing)}")
    problem = _version_problem(data["rasa_open_source_version"])
    if problem:
        raise UnusableModel(problem)
    return data


def explain(path: Path, reason: Text) -> Text:
    """One paragraph: what is wrong with which file, and the command that fixes it."""
    return (f"[model] error: the model {path} cannot be served: {reason}. "
            f"Train a new one with `{FIX}` (a few minutes on a CPU), "
            f"or point SHOPBOT_MODEL at a good model archive, then start again.")


def main(argv: Optional[list] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python -m bot.serving.modelcheck [MODEL.tar.gz]", file=sys.stderr)
        return 64
    path = Path(args[0] if args else DEFAULT_MODEL)
    try:
        check_model(path)
    except UnusableModel as error:
        print(explain(path, str(error)), file=sys.stderr)
        return EXIT_UNUSABLE
    return 0


if __name__ == "__main__":
    sys.exit(main())
