package bot

// Undelivered lets the black-box tests wait until every reply is out.
var Undelivered = undelivered
