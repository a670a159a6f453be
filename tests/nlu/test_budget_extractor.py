from bot.nlu.budget_extractor import BudgetExtractor

from .conftest import BAD_INPUTS, messages


def test_budget_entity_carries_numbers_and_role(model_storage, resource, execution_context):
    extractor = BudgetExtractor.create({}, model_storage, resource, execution_context)
    [message] = extractor.process(messages("any headphones under $300?"))
    [entity] = message.get("entities")
    assert entity["entity"] == "budget" and entity["role"] == "max"
    assert entity["value"] == {"min": None, "max": 300.0, "currency": "USD"}
    assert message.get("text")[entity["start"]:entity["end"]] == "under $300"
    assert entity["extractor"] == "BudgetExtractor"


def test_keeps_other_entities_and_survives_junk(model_storage, resource, execution_context):
    extractor = BudgetExtractor.create({}, model_storage, resource, execution_context)
    [message] = messages("order ORD-123456")
    message.set("entities", [{"entity": "order_id", "value": "ORD-123456", "start": 6, "end": 16}])
    extractor.process([message])
    assert [e["entity"] for e in message.get("entities")] == ["order_id"]
    extractor.process(messages(*BAD_INPUTS))
