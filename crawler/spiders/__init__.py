"""Spiders; the sputnik spider is added by the spider issue."""
