-- Run once by the postgres image when its volume is new (docker-compose.yml mounts it under
-- /docker-entrypoint-initdb.d): the databases the services use, in UTF-8, so Flyway (the `flyway` profile), which
-- cannot create a database, finds them. The migrate service creates them itself when they are missing.
CREATE DATABASE users ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE analytics ENCODING 'UTF8' TEMPLATE template0;
