-- Each service owns its database (run once, when the postgres volume is first created).
CREATE DATABASE intake;
CREATE DATABASE workflow;
CREATE DATABASE registry;
CREATE DATABASE notify;
CREATE DATABASE supervision;
CREATE DATABASE gateway;
