"""nbgrader configuration for Paper Lab: instructors edit solutions/*.py, students get lessons/."""

import os

c = get_config()  # noqa: F821 (provided by traitlets when this file is loaded)

_root = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = _root
c.CourseDirectory.course_id = "paperlab"
# nbgrader reads the notebooks that `paperlab release` builds from the text sources in solutions/.
c.CourseDirectory.source_directory = os.path.join("build", "source")
c.CourseDirectory.release_directory = "lessons"
c.CourseDirectory.submitted_directory = "build/submitted"
c.CourseDirectory.autograded_directory = "build/autograded"
c.CourseDirectory.feedback_directory = "build/feedback"
os.makedirs(os.path.join(_root, "build"), exist_ok=True)  # the gradebook lives there
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_root, "build", "gradebook.db")
# `nbgrader export` writes here (git-ignored), not into the checkout's root.
c.CsvExportPlugin.to = os.path.join(_root, "build", "grades.csv")
# Only notebooks are released; helper files stay in utils/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# A lesson cell (full parameters) finishes well inside this; a student's infinite loop does not.
c.Execute.timeout = 240

# The grading size: under autograde every notebook gets, right after its parameters cell, a cell that
# sets these values, so the experiments shrink while the exercises and their hidden tests are unchanged
# (the same scores as full size, measured by tests/test_grading.py). For full-size grading set {}.
from nbgrader.converters.autograde import Autograde  # noqa: E402

from utils.course.autograde import GradingParameters  # noqa: E402

c.GradingParameters.parameters = {"SMOKE": True}
_defaults = Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
c.Autograde.autograde_preprocessors = [GradingParameters, *_defaults]
# Feedback a student may receive: hidden tests removed (nbgrader's own preprocessor), formulas rendered
# without a network, figures scaled to the page.
from nbgrader.converters.generate_feedback import GenerateFeedback  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests  # noqa: E402

from utils.course.feedback import OfflineFeedback  # noqa: E402

_defaults = GenerateFeedback.class_traits()["preprocessors"].make_dynamic_default()
c.GenerateFeedback.preprocessors = [ClearHiddenTests, *_defaults, OfflineFeedback]
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError(\"replace this line with your code, then run the test cell below\")"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Lessons keep no outputs, so the released files are byte-for-byte reproducible.
c.ClearOutput.enabled = True

# Kernels get CurveZMQ keys from jupyter_client (the kernelspec declares support): encrypted sockets,
# and none of ipykernel's "running over TCP without encryption" warnings in the grading log.
c.KernelManager.transport_encryption = "auto"
