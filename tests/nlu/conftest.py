import pytest

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

TINY_INTENTS = {
    "greet": ["hi", "hello there", "good morning", "hey", "hiya", "good evening"],
    "order_status": [
        "where is my order",
        "has my parcel shipped yet",
        "track my package please",
        "when will my order arrive",
        "what's the status of my delivery",
        "my order hasn't come yet, where is it",
    ],
    "return_request": [
        "i want to return these shoes",
        "how do i send back a laptop",
        "can i get a refund for the tent",
        "return the headphones please",
        "i'd like to return an item",
        "send back my order for a refund",
    ],
}


@pytest.fixture
def tiny_training_data() -> TrainingData:
    return TrainingData(
        training_examples=[
            Message(data={"text": text, "intent": intent})
            for intent, texts in TINY_INTENTS.items()
            for text in texts
        ]
    )


@pytest.fixture
def execution_context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test-model")


@pytest.fixture
def model_storage(tmp_path) -> LocalModelStorage:
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


@pytest.fixture
def resource() -> Resource:
    return Resource("component")


def messages(*texts):
    return [Message(data={"text": t}) for t in texts]


BAD_INPUTS = [
    "",
    "   \n\t ",
    "x" * 20000,
    "😀🎉🔥🙈",
    "我的订单在哪里",
    "order\x00\x07\x1b[31m status",
    "/greet",
    '/order_status{"order_id": "ORD-123456"}',
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE orders; --",
]
