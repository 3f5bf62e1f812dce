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
# Only notebooks are released; helper files stay in utils/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# A lesson cell (full parameters) finishes well inside this; a student's infinite loop does not.
c.Execute.timeout = 240
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Lessons keep no outputs, so the released files are byte-for-byte reproducible.
c.ClearOutput.enabled = True
