'use client';
import { useEffect, useState } from 'react';
import { startRealtime } from '../realtime.js';

export default function Realtime() {
  const [state, setState] = useState('…');
  useEffect(() => {
    let broker;
    let unmounted = false;
    void startRealtime(setState).then((started) => (unmounted ? started.close() : (broker = started)));
    return () => {
      unmounted = true;
      broker?.close();
    };
  }, []);
  return <p id="state">{state}</p>;
}
