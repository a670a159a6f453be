"""The shop's catalog as a knowledge graph, and finding its products in free text.

``knowledge_graph`` turns a :class:`bot.catalog.Catalog` into a typed networkx graph and
answers the questions a shop assistant gets ("cases for my phone", "compare these two",
"watches under $300 with 20 h battery"); ``linking`` finds products, brands and
categories in a customer's message; ``comparison`` formats side-by-side tables.
"""
