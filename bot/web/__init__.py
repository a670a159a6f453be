"""The shop's web front: the chat widget's channel, the shopper APIs and the staff console.

Everything here runs inside the Rasa server process as a custom input channel
(``bot.web.channel.ShopSocketIOInput`` in credentials.yml), so it shares Rasa's port,
its tracker store and its socket.io server.
"""
