"""Rules of the queues and event topics."""

from __future__ import annotations

from infra.config import ConfigError, StackConfig


def _check_queues(config: StackConfig) -> None:
    seen: set[str] = set()
    for index, queue in enumerate(config.queues):
        if queue.name in seen:
            raise ConfigError(f"platform:queues[{index}].name", queue.name, "queue names must be distinct")
        seen.add(queue.name)


def _check_events(config: StackConfig) -> None:
    """Event topics: distinct names, subscriptions to distinct standard queues of platform:queues,
    filter policies SNS accepts, physical names within SNS/SQS limits in every serving cell."""
    from components.events import SubscriptionSpec, subscription_dlq_name, topic_physical_name
    from infra.naming import Names

    queues = {q.name: q for q in config.queues}
    seen: set[str] = set()
    for t, topic in enumerate(config.events.topics):
        path = f"platform:events.topics[{t}]"
        if topic.name in seen:
            raise ConfigError(f"{path}.name", topic.name, "topic names must be distinct")
        seen.add(topic.name)
        targets: set[str] = set()
        for s, sub in enumerate(topic.subscriptions):
            key = f"{path}.subscriptions[{s}]"
            if sub.queue not in queues:
                raise ConfigError(f"{key}.queue", sub.queue, f"must be one of platform:queues: {sorted(queues)}")
            if queues[sub.queue].fifo:
                raise ConfigError(f"{key}.queue", sub.queue, "a standard SNS topic delivers to standard queues only")
            if sub.queue in targets:
                raise ConfigError(f"{key}.queue", sub.queue, "the topic already delivers to this queue")
            targets.add(sub.queue)
            try:
                SubscriptionSpec(sub.queue, sub.filter_policy, sub.filter_policy_scope)
            except ValueError as error:
                raise ConfigError(f"{key}.filterPolicy", sub.filter_policy, str(error)) from None
            for cell in config.regions:
                base = Names(config.name).cell(cell.region)
                try:
                    topic_physical_name(base, topic.name)
                    subscription_dlq_name(base, topic.name, sub.queue)
                except ValueError as error:
                    raise ConfigError(f"{path}.name", topic.name, f"{error}; shorten the topic or queue name") from None
