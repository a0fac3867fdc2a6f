"""Social Cure evaluation pipeline: clean, score and model longitudinal social-prescribing
surveys."""

__version__ = "0.1.0"
