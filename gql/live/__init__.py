"""Live updates: GraphQL subscriptions over graphql-transport-ws on /graphql."""
