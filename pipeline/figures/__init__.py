"""Figures: one module per topic, one shared style (:mod:`pipeline.figures.style`)."""
