"""reportgen: a classifier's labels and scores in, one self-contained HTML report out."""
from reportgen.api import evaluate, evaluate_files
from reportgen.errors import InputError
from reportgen.evaluation import Evaluation

__version__ = "0.1.0"
__all__ = ["evaluate", "evaluate_files", "Evaluation", "InputError", "__version__"]
