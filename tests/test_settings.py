"""Settings are declared once and documented."""

from pathlib import Path

from live.settings import SETTINGS, from_environment

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_listed_in_the_readme_with_its_default():
    for s in SETTINGS:
        assert f"| `{s.name}` |" in README, f"{s.name} missing from README"
        if s.default:
            assert f"| `{s.name}` | `{s.default}` |" in README, f"{s.name} default differs in README"


def test_settings_come_typed_from_the_environment():
    config = from_environment({"PORT": "8080", "TALLY_INTERVAL": "0.25"})
    assert config["PORT"] == 8080 and config["TALLY_INTERVAL"] == 0.25
    assert config["STORE"] == "sqlite"
