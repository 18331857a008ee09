"""The GraphQL layer: parse, authorise, map inputs, call resolvers/, map results and errors."""
