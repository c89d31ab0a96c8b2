-- Casa In: ambulance requests (issue #15, point 6; package booking).
--
-- ambulance_requests: a request for an ambulance of a request-type
-- service (booking_facilities of kind ambulance), by a signed-in person:
-- the patient, where (an address or a point), the urgency, the
-- destination and a phone to call back. The dispatchers' queue is by
-- urgency then waiting time; a vehicle and a crew are assigned; every
-- change of state is a row of ambulance_events (the response times) and
-- an event in the outbox (the SMS to the requester), in the same
-- transaction: nothing is lost across restarts.
CREATE TABLE ambulance_requests (
	id INTEGER PRIMARY KEY,
	number TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 6 AND 32),
	service_code TEXT NOT NULL REFERENCES booking_facilities (code),
	requester_id BIGINT NOT NULL REFERENCES persons (id),
	patient TEXT NOT NULL CHECK (length(patient) BETWEEN 1 AND 200),
	address TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 300),
	lat REAL CHECK (lat BETWEEN -90 AND 90),
	lon REAL CHECK (lon BETWEEN -180 AND 180),
	urgency TEXT NOT NULL CHECK (urgency IN ('critical', 'urgent', 'routine')),
	destination TEXT NOT NULL CHECK (length(destination) BETWEEN 1 AND 200),
	phone TEXT NOT NULL CHECK (length(phone) BETWEEN 6 AND 20),
	state TEXT NOT NULL CHECK (state IN ('received', 'assigned', 'on_scene', 'transporting', 'done', 'cancelled')),
	vehicle TEXT NOT NULL DEFAULT '' CHECK (length(vehicle) <= 40),
	crew TEXT NOT NULL DEFAULT '' CHECK (length(crew) <= 200),
	dispatcher_id BIGINT REFERENCES persons (id),
	filed_at TIMESTAMP NOT NULL,
	assigned_at TIMESTAMP,
	closed_at TIMESTAMP,
	updated_at TIMESTAMP NOT NULL,
	version INTEGER NOT NULL CHECK (version >= 1),
	CONSTRAINT ambulance_requests_where CHECK (address <> '' OR lat IS NOT NULL),
	CONSTRAINT ambulance_requests_point CHECK ((lat IS NULL) = (lon IS NULL)),
	CONSTRAINT ambulance_requests_assigned CHECK (state IN ('received', 'cancelled') OR (vehicle <> '' AND assigned_at IS NOT NULL)),
	CONSTRAINT ambulance_requests_closed CHECK ((state IN ('done', 'cancelled')) = (closed_at IS NOT NULL))
);
CREATE INDEX ambulance_requests_queue ON ambulance_requests (service_code, state, filed_at);
CREATE INDEX ambulance_requests_requester ON ambulance_requests (requester_id, filed_at);
CREATE TRIGGER ambulance_requests_transition BEFORE UPDATE OF state ON ambulance_requests
WHEN OLD.state <> NEW.state AND (OLD.state || '>' || NEW.state) NOT IN (
		'received>assigned', 'received>cancelled', 'assigned>on_scene', 'assigned>cancelled',
		'on_scene>transporting', 'on_scene>done', 'transporting>done')
BEGIN SELECT RAISE(ABORT, 'ambulance_requests: no such change of state'); END;
CREATE TRIGGER ambulance_requests_kept BEFORE DELETE ON ambulance_requests
BEGIN SELECT RAISE(ABORT, 'ambulance_requests are never deleted'); END;

CREATE TABLE ambulance_events (
	id INTEGER PRIMARY KEY,
	request_id BIGINT NOT NULL REFERENCES ambulance_requests (id),
	at TIMESTAMP NOT NULL,
	state TEXT NOT NULL CHECK (state <> ''),
	actor_label TEXT NOT NULL CHECK (actor_label <> '')
);
CREATE INDEX ambulance_events_request ON ambulance_events (request_id, id);
CREATE TRIGGER ambulance_events_immutable BEFORE UPDATE ON ambulance_events
BEGIN SELECT RAISE(ABORT, 'ambulance_events are immutable'); END;
