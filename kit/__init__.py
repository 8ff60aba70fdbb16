"""The shared kit: helpers every app imports (the clock, errors, permission names, file
responses, PDF and admin helpers, settings accessors). No models, and no import of any
app of the project: it sits below ``catalog``."""
