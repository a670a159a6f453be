"""Dialogue helpers used by the custom actions, testable without Rasa."""
