-- PostgreSQL already refuses NULL in every primary key column; the SQLite
-- migration of this number adds triggers that do the same there. Kept so
-- that both engines record the same versions.
SELECT 1;
