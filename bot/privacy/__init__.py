"""Personal data: finding and removing it before anything is stored, logged or exported.

Pure standard library, so the Rasa server, the action server and the scripts share it.
"""
