"""Question to Answer: the Advisor facade and everything it answers with; imports no face and no Slack."""

from .advisor import Advisor
from .question import QuestionError
from .traits import ProjectTraits, TraitsError

__all__ = ["Advisor", "ProjectTraits", "QuestionError", "TraitsError"]
