-- A chronology names each entry's actor from the staff directory: find them by school and login.
CREATE INDEX dir_staff_user ON dir_staff (school_id, user_id) WHERE user_id IS NOT NULL;
