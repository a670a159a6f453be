"""Semantic search over the shop's knowledge: FAQ entries and product documents.

MiniLM sentence embeddings (``embedder``) in exact FAISS inner-product indexes
(``faiss_index``), cached on disk per input hash (``index``), and the FAQ answering
policy on top (``faq``). Heavy libraries (torch, faiss, sentence-transformers) are
imported lazily, so importing this package is cheap in both project environments.
"""
