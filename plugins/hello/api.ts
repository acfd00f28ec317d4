// hello's public surface for other plugins: nothing but its event's payload type.
export interface GreetingSent { userId: string }
