"""Our Rasa NLU components and the torch code behind them."""
