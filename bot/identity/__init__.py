"""Who is talking: server secrets, signed session tokens and pseudonymous keys.

Used by the Rasa server's web side (``bot.web``) and by the action server alike, so it
imports only the standard library.
"""
