"""Rasa entity extractor that finds budgets and parses them into numbers."""

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_ROLE,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.budget import parse_budgets


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class BudgetExtractor(GraphComponent, EntityExtractorMixin):
    """Adds a ``budget`` entity whose value is ``{"min", "max", "currency"}``.

    The entity's role says what kind of budget it was: ``max`` ("under $300"),
    ``min`` ("at least $50"), ``approx`` ("around $150") or ``range``
    ("between $200 and $400"), so actions can filter products by price directly.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config.

        entity_name: the entity the budgets are reported as.
        """
        return {"entity_name": "budget"}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Creates the component; it has nothing to train."""
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the budget entities found in each message's text."""
        for message in messages:
            budgets = parse_budgets(message.get(TEXT) or "")
            if not budgets:
                continue
            entities = [
                {
                    ENTITY_ATTRIBUTE_TYPE: self.config["entity_name"],
                    ENTITY_ATTRIBUTE_START: b.start,
                    ENTITY_ATTRIBUTE_END: b.end,
                    ENTITY_ATTRIBUTE_VALUE: b.as_value(),
                    ENTITY_ATTRIBUTE_ROLE: b.role,
                }
                for b in budgets
            ]
            entities = self.add_extractor_name(entities)
            message.set(
                ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True
            )
        return messages
