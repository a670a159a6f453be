"""How the servers are started: the action server's launcher and the model check.

Nothing here is imported by the Rasa server's channels or the actions; both
environments can import the package (heavy imports happen inside functions).
"""
