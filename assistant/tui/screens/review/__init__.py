"""The lead reviewer's workspace: the screen (screen.py), one pane per tab, an episode's accounts side by
side (accounts.py) and the finding form (finding_form.py)."""

from assistant.tui.screens.review.accounts import EpisodeScreen
from assistant.tui.screens.review.finding_form import FindingScreen
from assistant.tui.screens.review.screen import ReviewPicker, ReviewScreen, open_review

__all__ = ["EpisodeScreen", "FindingScreen", "ReviewPicker", "ReviewScreen", "open_review"]
