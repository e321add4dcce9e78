"""Background jobs run by RQ workers. Jobs take ids, reload from the database and are
safe to run twice."""
