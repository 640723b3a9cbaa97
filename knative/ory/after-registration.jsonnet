// Body of Kratos' after-registration web_hook to the email function
// (POST /hooks/kratos/after-registration). A subset of Kratos' default
// payload: the identity only, no request headers or cookies.
function(ctx) {
  identity: {
    id: ctx.identity.id,
    traits: {
      email: ctx.identity.traits.email,
      user_type: ctx.identity.traits.user_type,
    },
  },
}
