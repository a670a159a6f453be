from bot.retrieval import build
from tests.bot.retrieval.conftest import write_fixture


def test_build_command_builds_then_reports_up_to_date(tmp_path, capsys, embedder):
    catalog_path, faq_path = write_fixture(tmp_path / "shop")
    args = ["--catalog", str(catalog_path), "--faq", str(faq_path), "--cache-dir", str(tmp_path / "cache")]
    assert build.main(args) == 0
    out = capsys.readouterr().out
    assert "Knowledge index built" in out and str(tmp_path / "cache") in out and "Took" in out
    assert build.main(args) == 0
    assert "up to date" in capsys.readouterr().out
    assert build.main(args + ["--force", "--no-progress"]) == 0
    assert "built" in capsys.readouterr().out
