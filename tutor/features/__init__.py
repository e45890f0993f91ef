"""Features (layer 5): what learners and instructors use, built on the bank.

* :mod:`.quiz`: the question/answer/feedback loop, saved progress, the review schedule;
* :mod:`.sheets`: exercise sheets and answer keys in every format;
* :mod:`.grading`: the sandboxed grader, its reports, the Gradescope export and the trace of a training loop;
* :mod:`.check`: ``tutor check``, the bank's guard.

Features do not import one another.
"""
