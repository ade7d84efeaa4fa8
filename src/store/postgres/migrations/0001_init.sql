-- Switchboard's schema on PostgreSQL. Headers, events and deliveries are JSON documents (the
-- same serde shapes the sled engine stores) beside the columns that queries filter on.

CREATE TABLE tickets (
    id            uuid PRIMARY KEY,
    tenant        text   NOT NULL,
    status        text   NOT NULL,
    assignee      text,
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL,
    header        jsonb  NOT NULL
);
-- The desk's queue and each agent's load.
CREATE INDEX tickets_queue ON tickets (tenant) WHERE status IN ('escalated', 'assigned');
CREATE INDEX tickets_assigned ON tickets (tenant, assignee) WHERE status = 'assigned';
CREATE INDEX tickets_tenant_updated ON tickets (tenant, updated_at_ms);

CREATE TABLE events (
    ticket_id uuid   NOT NULL REFERENCES tickets (id),
    seq       bigint NOT NULL,
    at_ms     bigint NOT NULL,
    event     jsonb  NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

-- Tenants, keys, agents, sessions, webhook endpoints, managed KB articles, presence.
CREATE TABLE documents (
    collection text  NOT NULL,
    key        text  NOT NULL,
    value      jsonb NOT NULL,
    PRIMARY KEY (collection, key)
);

CREATE TABLE webhook_deliveries (
    id                 bigserial PRIMARY KEY,
    tenant             text   NOT NULL,
    endpoint_id        uuid   NOT NULL,
    conversation_id    uuid   NOT NULL,
    status             text   NOT NULL,
    next_attempt_at_ms bigint NOT NULL,
    -- A replica sending this delivery holds it until then (0: nobody).
    lease_until_ms     bigint NOT NULL DEFAULT 0,
    record             jsonb  NOT NULL
);
-- The outbox: pending deliveries in order per (endpoint, conversation).
CREATE INDEX webhook_outbox ON webhook_deliveries (endpoint_id, conversation_id, id)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_tenant ON webhook_deliveries (tenant, id);
