"""shopbot: a customer-service assistant for online shops, built on Rasa Open Source 3.6."""

__version__ = "0.1.0"
